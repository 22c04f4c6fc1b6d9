"""What the kiosk, the central app and the devices share: settings, the command line, database set-up."""

__version__ = "0.1.0"
