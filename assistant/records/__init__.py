"""What users leave behind: feedback on answers (SQLite beside the index)."""
