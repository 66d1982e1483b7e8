"""Login (password + TOTP), logout and choosing the acting municipality and disaster."""
