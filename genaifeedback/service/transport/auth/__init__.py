"""Who is calling and what it may do: caller identity (identity.py, jwt_identity.py), the scopes
every RPC declares (scopes.py), the policy file that grants them (policy.py), and the one check
every call goes through before its request is validated (access.py)."""
