"""Exercise 10: set BUDGET to 1, and get step 9 back.

With a budget of one trap per turn, running on is gone, and the order of
who ran is step 9's again.  Try 5 and 500 too.

Prints:
    BUDGET 1: hog x2, ticker, hog, ticker, hog, ticker, hog x116
    BUDGET 5: hog x5, ticker, hog x5, ticker, hog x5, ticker, hog x105
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import step10


def main():
    for budget in (1, 5):
        step10.BUDGET = budget          # the loop reads the module's BUDGET
        runs, trips = step10.who_ran(step10)
        print("BUDGET %d: %s" % (budget, runs))


if __name__ == "__main__":
    main()
