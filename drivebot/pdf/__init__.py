"""PDF stamping behind drivebot.stamping: reading, drawing, incremental update, rewrite."""
