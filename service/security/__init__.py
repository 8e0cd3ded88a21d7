"""Who may call the service (JWT of the CDS client) and where it may reach (the FHIR server)."""
