"""The application: one tenant's loop, a firm of tenants, the scheduler, configuration lint."""
