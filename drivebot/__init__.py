"""drivebot: moves draft legal products through review at a regency's legal division."""
