"""Geography on plain data (no table of the ledgers): geocoding addresses to the points of the address
registry (位置参照情報) in ``gis.geocoding``; geometry, CRS and maps as they come. Depends only on
``core``; ``ledgers`` applies it to its tables."""
