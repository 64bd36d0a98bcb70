// The fan-out measurement compares wall-clock times on a 2-core machine; other test classes
// running beside it (20 more gateways, TLS handshakes) would only add noise.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
