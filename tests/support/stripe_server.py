"""localstripe (a Stripe-compatible server, from PyPI) on a given port, for the payment tests.

Usage: stripe_server.py PORT

localstripe pickles its whole store to /tmp/localstripe.pickle after every change: slow once a
storm has made a few hundred objects, and shared by every instance on the machine. The tests
start each instance from scratch and never reload it, so that dump is turned off here; nothing
else is changed.
"""
import sys

import localstripe.resources as resources

resources.Store.dump_to_disk = lambda self: None

from localstripe.server import start  # noqa: E402

sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
start()
