"""The web views: the verification page a QR code opens (app) and the static site (publish)."""
