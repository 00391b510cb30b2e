"""Transport: the gRPC surface (servicers, status mapping, reflection) and the conversion between
the contract's messages and the domain."""
