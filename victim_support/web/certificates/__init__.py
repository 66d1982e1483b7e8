"""Certificates (罹災証明書・被災証明書): the counter flow, the certificate ledger, issuing over JSON."""
