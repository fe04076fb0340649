"""Plumbing for the Google adapters (drivebot.drive, drivebot.gmail): the folder tree, comments."""
