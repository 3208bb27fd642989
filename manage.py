#!/usr/bin/env python
from leadflow.cli import main

if __name__ == "__main__":
    main()
