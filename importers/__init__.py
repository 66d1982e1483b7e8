"""Standard-format loaders (database-free): layouts, decoding, 和暦 dates, validation, addresses.

* ``importers.layout``     TOML layouts: ``load_layout``, ``load_preset``, ``list_presets``, ``LayoutError``
* ``importers.pipeline``   ``read_rows(source, layout, gaiji_map)`` → ``Row`` (values, issues, ok)
* ``core.wareki``      ISO / yyyymmdd / 和暦 code / 和暦 text, non-calendar and 不詳 dates
* ``importers.encoding``   CP932 / UTF-8 / auto, undecodable bytes, 外字 map
* ``core.addresses``  ``normalize_address`` → ``AddressParts`` and match keys for geocoding
* ``importers.synthetic``  synthetic files in the preset layouts (importers.synthetic_city)
* ``importers.fields``     the canonical fields of each kind

See docs/import-layouts.md.
"""
