"""What each proxy in use does with a Service's EndpointSlices: one pure model per consumer."""
