"""What pages show, shaped for display (the data itself comes from the library packages)."""
