"""The archive: stamping finals, the signed hash-chained ledger, verification, past backlogs."""
