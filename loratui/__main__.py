"""Allow ``python -m loratui``."""

from loratui.cli import main

raise SystemExit(main())
