//! Step 2: a module's XML file that Magento cannot read (`module-xml-invalid`). Magento reads
//! every module.xml at start-up and merges the enabled modules' webapi.xml and acl.xml: one file
//! that is not well-formed stops it with "Invalid Document", so every request fails, whatever the
//! credentials.

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::store::module_xml;

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    for p in module_xml::problems(&ctx.install.modules) {
        let shown = p
            .path
            .strip_prefix(&ctx.install.root)
            .unwrap_or(&p.path)
            .display()
            .to_string();
        let effect = match p.kind {
            "module.xml" => "Magento reads every module's module.xml when it starts",
            "webapi.xml" => "Magento merges the enabled modules' webapi.xml into its REST routes",
            _ => "Magento merges the enabled modules' acl.xml into its ACL",
        };
        d.push(
            Finding::new(Code::ModuleXmlInvalid, Severity::Error)
                .title(format!("{shown} ({}) is not well-formed XML", p.module))
                .detail(format!(
                    "{effect}, and stops with \"Invalid Document\" on a file that is not well-formed: every request fails (the REST API's too), whatever the credentials. Left-over merge markers (<<<<<<< HEAD) are the usual cause. The parser says: {}.",
                    p.message
                ))
                .evidence(Evidence::file(&shown, p.line, p.message.clone()))
                .fix(Fix {
                    summary: format!("Repair {shown} (resolve the merge, or restore it from the module's package), then clear the configuration cache"),
                    commands: vec![
                        format!("xmllint --noout {shown}"),
                        "bin/magento cache:clean config".into(),
                    ],
                    admin_path: None,
                }),
        );
    }
}
