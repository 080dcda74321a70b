"""The Textual front end: a thin shell over loratui.core."""
