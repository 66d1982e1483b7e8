"""Standard-format loaders (database-free): layouts, decoding, validation, synthetic files.

Depends only on ``core`` (dates through ``core.wareki``, addresses through ``core.addresses``);
``ledgers.registry.imports`` writes what these read into the database.

* ``importers.layout``          TOML layouts: ``load_layout``, ``load_preset``, ``list_presets``, ``LayoutError``
* ``importers.pipeline``        ``read_rows(source, layout, gaiji_map)`` → ``Row`` (values, issues, ok)
* ``importers.encoding``        CP932 / UTF-8 / auto, undecodable bytes, 外字 map
* ``importers.fields``          the canonical fields of each kind
* ``importers.keys``            fast search keys for the import hot loop
* ``importers.synthetic_city``  the synthetic town (never real names) behind the demo and the files
* ``importers.synthetic``       synthetic files in the preset layouts

See docs/import-layouts.md.
"""
