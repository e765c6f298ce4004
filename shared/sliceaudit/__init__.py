"""sliceaudit: find EndpointSlices that send traffic to port 0."""
