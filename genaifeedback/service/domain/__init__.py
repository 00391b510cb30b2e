"""Domain: chat, feedback intake and delivery, votes, curation, analytics, schemas; no gRPC, no HTTP."""
