"""Tests of the odoo adapter."""
