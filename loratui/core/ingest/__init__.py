"""Taking files in: walk the paths, store them by sha256, detect their kind, record them."""
