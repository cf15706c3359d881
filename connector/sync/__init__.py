"""The pull: pages from an adapter into the store, each page and its cursor in one transaction."""
