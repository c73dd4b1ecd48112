# The rule tests need the rules registered: importing the package registers all of them.
import rules  # noqa: F401
