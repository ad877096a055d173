// TypeDoc plugin for `pnpm docs`: fails the run (as a validation warning, made an error by
// `treatValidationWarningsAsErrors`) on every undocumented *declared* API name of a package.
//
// TypeDoc's own `validation.notDocumented` also demands a comment on each member of an
// anonymous object type, and Hubel's plugin objects and layer definitions have large inferred
// types (`definePlugin<const P>` keeps every layer's attribute record in the type, so the
// registry is typed). Those members are not declarations a reader looks up; the owning
// export's comment (and a layer's run-time `doc` strings) describe them. So this check is
// TypeDoc's rule minus one thing: members whose owner is an anonymous type literal are exempt
// (the owner's comment describes them), except the body of a `type X = { ... }` alias, which
// TypeDoc renders like an interface.
// Enable it per package with `"hubelRequireDocs": true` (the root's merged project is skipped).
import { ParameterType, ReflectionKind, DeclarationReflection, ReflectionType, Application } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.options.addDeclaration({
    name: 'hubelRequireDocs',
    help: 'Fail on undocumented exports and members of exported interfaces, classes and type aliases.',
    type: ParameterType.Boolean,
    defaultValue: false,
  });

  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    if (!app.options.getValue('hubelRequireDocs')) return;
    // As TypeDoc's own check: a function's or method's comment sits on its call signatures.
    let kinds = app.options.getValue('requiredToBeDocumented').reduce((k, name) => k | ReflectionKind[name], 0);
    if (kinds & ReflectionKind.FunctionOrMethod) kinds = (kinds & ~ReflectionKind.FunctionOrMethod) | ReflectionKind.CallSignature;
    if (kinds & ReflectionKind.Accessor) kinds = (kinds & ~ReflectionKind.Accessor) | ReflectionKind.GetSignature | ReflectionKind.SetSignature;
    const queue = project.getReflectionsByKind(kinds);
    const seen = new Set();
    while (queue.length) {
      const ref = queue.shift();
      if (seen.has(ref)) continue;
      seen.add(ref);
      if (inParameter(ref)) continue;
      if (ref.kindOf(ReflectionKind.TypeLiteral) && ref.parent?.kindOf(ReflectionKind.TypeAlias)) {
        queue.push(ref.parent);
        continue;
      }
      // The signature of a function-typed variable or property is documented on its owner.
      if (ref.kindOf(ReflectionKind.CallSignature) && ref.parent?.kindOf(ReflectionKind.TypeLiteral)) {
        queue.push(ref.parent.parent);
        continue;
      }
      if (exempt(ref)) continue;
      if (ref instanceof DeclarationReflection) {
        const sigs = ref.type instanceof ReflectionType ? ref.type.declaration.getNonIndexSignatures() : ref.getNonIndexSignatures();
        if (sigs.length) {
          queue.push(...sigs);
          if (ref.kindOf(ReflectionKind.SignatureContainer)) continue;
        }
      }
      const hasComment = ref.hasComment() || (ref.kindOf(ReflectionKind.SomeSignature) && ref.parent?.hasComment());
      const id = project.getSymbolIdFromReflection(ref);
      // Only this package's own declarations: a re-export of tapable's classes is tapable's to document.
      if (hasComment || !id || id.packageName !== project.packageName) continue;
      app.logger.validationWarning(
        `${ref.getFriendlyFullName()} (${ReflectionKind[ref.kind]}), defined in ${id.packageName}/${id.packagePath}${line(ref)}, does not have any documentation`,
      );
    }
  });
}

/** Part of a parameter's type: the function's comment describes its parameters. */
function inParameter(ref) {
  for (let r = ref.parent; r; r = r.parent) if (r.kindOf(ReflectionKind.Parameter)) return true;
  return false;
}

/** A member of an anonymous object type that no type alias names. */
function exempt(ref) {
  for (let r = ref.parent; r; r = r.parent) {
    if (r.kindOf(ReflectionKind.TypeLiteral) && !isAliasBody(r)) return true;
  }
  return false;
}

/** The object type of `type X = { ... }` itself (not one member of a union the alias names). */
function isAliasBody(literal) {
  const alias = literal.parent;
  return !!alias?.kindOf(ReflectionKind.TypeAlias) && alias.type instanceof ReflectionType && alias.type.declaration === literal;
}

/** `:line` of the declaration, or of its owner for a signature TypeDoc placed without sources. */
function line(ref) {
  for (let r = ref; r; r = r.parent) if (r.sources?.length) return `:${r.sources[0].line}`;
  return '';
}
