"""Every benchmark, one after the other, in one run: `make bench`."""

from . import enqueue_tasks, export_class, oneroster_puts

if __name__ == "__main__":
    oneroster_puts.main()
    export_class.main()
    print(enqueue_tasks.figure(), flush=True)
