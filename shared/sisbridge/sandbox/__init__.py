"""Local stand-ins for the two systems sisbridge talks to: a OneRoster SIS and Google Classroom.

They serve real HTTP on 127.0.0.1 with one seeded district (`seed.py`), so the whole product runs
and is tested offline. They are peers, not mocks: they validate what they receive independently
of sisbridge's own client code.
"""
