"""Every benchmark, one after the other, in one run."""

from . import oneroster_puts

if __name__ == "__main__":
    oneroster_puts.main()
