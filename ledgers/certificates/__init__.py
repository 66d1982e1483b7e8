"""Damage certificates (罹災証明書, 災害対策基本法 90条の2) and 被災証明書.

``ledgers.certificates.pdf`` renders them as PDF from plain views; it needs no database.
"""

from ledgers.certificates.pdf import (
    DAMAGE_CLASSES,
    FLOOD_CLASSES,
    CertificateError,
    CertificateView,
    FontNotFoundError,
    IssuerConfig,
    UnrenderableTextError,
    find_font,
    format_number,
    render_batch,
    render_certificate,
    sample_seal_png,
)

__all__ = [
    "DAMAGE_CLASSES",
    "FLOOD_CLASSES",
    "CertificateError",
    "CertificateView",
    "FontNotFoundError",
    "IssuerConfig",
    "UnrenderableTextError",
    "find_font",
    "format_number",
    "render_batch",
    "render_certificate",
    "sample_seal_png",
]
