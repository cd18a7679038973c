"""Bundled resources (digits, style sheet, icon): package data installed as
`playground._resources`; see playground/core/builtin_data.py. Nothing here is code."""
