"""What an input really is, decided by its content and within fixed limits, before anything
reads it in full: sniff (the kind), ooxml (a .docx package), pdf (a PDF), limits."""
