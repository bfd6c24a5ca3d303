"""Team sync for Agent Assist: the wire protocol, the team server and the client. Plain Python, no Qt."""
