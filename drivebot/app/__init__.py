"""The application layer: one poll cycle, the intakes, carrying out actions, and the commands."""
