"""Importing the peacetime ledgers (住民記録, 固定資産, 個人住民税, 位置参照情報) from files."""
