"""Victim households (被災者台帳) and their members."""
