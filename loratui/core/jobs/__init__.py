"""The durable queue and what runs it: leases, results, the worker loop, the process pool."""
