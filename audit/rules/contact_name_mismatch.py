"""Being written: registers no rule yet."""
