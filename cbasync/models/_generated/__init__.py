"""Pydantic models generated from spec/ - one module per Carbon Black server family.

``edr`` (EDR on-prem, formerly CB Response), ``protection`` (App Control, formerly CB
Protection) and ``cloud`` (Carbon Black Cloud). The modules are written by
datamodel-code-generator (``nox -s codegen``); edit spec/*.yaml, never the modules.
"""
