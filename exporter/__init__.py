"""The sliceaudit Prometheus exporter: watches EndpointSlices and Services, serves per-Service gauges."""
