"""The cockpit's pages, one module per screen, each exposing `routes(site)`."""
