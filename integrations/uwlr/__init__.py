"""UWLR 2.2 "Leerresultaten" (Edustandaard): the message, the SOAP client and the schemas."""
