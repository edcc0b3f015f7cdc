using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Vigil.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class EscalationPerIncident : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_escalations_incident_id",
                table: "escalations");

            migrationBuilder.CreateIndex(
                name: "ix_escalations_incident_id",
                table: "escalations",
                column: "incident_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_escalations_incident_id",
                table: "escalations");

            migrationBuilder.CreateIndex(
                name: "ix_escalations_incident_id",
                table: "escalations",
                column: "incident_id");
        }
    }
}
