"""pmo-hub: configuration, warehouse access and the command line."""
