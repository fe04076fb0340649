"""drivebot's e-mails: rendered from templates (emails) into real MIME messages (mime)."""
