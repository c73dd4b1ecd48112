"""Rules for scipy.integrate (registered when SciPy's `scipy.integrate` is imported; see
`rules.scipy`).

- `ivp`: `solve_ivp`, by the continuous adjoint method (reverse) and forward sensitivities;
- `odepack`: `odeint`, likewise (the adjoint integrated with `odeint`, as JAX does);
- `quadrature`: `quad`, in its limits and in the integrand's parameters;
- `samples`: `trapezoid`, `cumulative_trapezoid`, `simpson`, `cumulative_simpson`, `romb`.
"""

from rules.scipy.integrate import ivp, odepack, quadrature, samples

__all__ = ["ivp", "odepack", "quadrature", "samples"]
