"""Domain core of Agent Assist: the local store, customers, knowledge, calls, notes, follow-ups, live
matching, cues, PII redaction, wrap-up and import/export. Plain, typed Python: no Qt, no sockets."""
