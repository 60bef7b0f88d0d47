"""tools/replay's implementation: read client TCP flows out of a capture
(flows.py), model what an RFC 6455 echo server must answer and parse what
wsgate did answer (wsmodel.py), and replay each flow live on a TAP through an
AF_PACKET socket with a small user-space TCP client (live.py)."""
