"""Read models projected from the event store's global feed: portfolio, deadlines and the
decision history. Store side: this package and `eventstore` are the only ones with SQL."""
